"""What the business owner teaches the assistant: knowledge, FAQs and policies, and the
retrieval index over them and the catalog."""
