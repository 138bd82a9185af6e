"""Enterprise AI-operations maturity assessment: questionnaires, scoring, storage, reports."""

__version__ = "0.1.0"
