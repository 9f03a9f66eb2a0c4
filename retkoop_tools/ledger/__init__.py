"""A cooperative's books as a Beancount ledger: conventions, exercices, files on disk."""
