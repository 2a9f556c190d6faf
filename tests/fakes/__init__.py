"""Local fakes of the SaaS APIs (Salesforce, Stripe, Zendesk) and an in-house service."""
