"""The routes: ``v1`` (the contract's JSON), ``health`` and ``page`` (the prompt page)."""
