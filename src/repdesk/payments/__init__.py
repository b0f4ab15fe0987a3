"""Order payments on each workspace's own Paystack account (issue 17 part B): the Payments
settings, payment links for orders, their webhook, marking paid by hand and refunds."""
