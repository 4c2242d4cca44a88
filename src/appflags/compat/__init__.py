"""Drop-in replacements for other feature-flag libraries' entry points, backed by appflags.

- :mod:`appflags.compat.powertools`: ``FeatureFlags`` and ``AppConfigStore`` of Powertools
  for AWS Lambda (Python), so that migrating is a one-line import change.
"""
