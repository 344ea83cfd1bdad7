"""Activity: providers and tariff, activity imports and rows, the monthly reconciliation into
positions with RAG status, and month close."""
