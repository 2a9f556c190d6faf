"""The backends: fake, SQL, Salesforce, Stripe, Zendesk, webhook (signed), manual."""
