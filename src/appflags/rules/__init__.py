"""Rule languages, each compiled once per document into closures.

- Powertools for AWS Lambda's condition actions (``_powertools_actions``).
"""
