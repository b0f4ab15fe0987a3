"""Communication training: WhatsApp chat exports, the questionnaire and the style profile."""
