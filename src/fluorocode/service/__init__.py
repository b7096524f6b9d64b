"""The HTTP edge: ``fluorocode serve`` (FastAPI on uvicorn) and the provider's page.

Layer contract: this package maps HTTP to ``fluorocode.api`` and back, and imports
nothing else of fluorocode but ``fluorocode.errors`` (for the one error-to-status
mapping, ``service.errors``). The command line and the service are independent
siblings (import-linter); ``fluorocode serve`` starts uvicorn on the import string of
``service.app:create_app_from_env``.

- ``app``: ``create_app(home, ...)``, the application factory;
- ``protocol``: uvicorn's httptools protocol with bounded header size and time;
- ``edge``: the outermost ASGI layer (the API key before the body, body size and time
  limits, access log without clinical content, request ids, a JSON 500 for anything
  unexpected);
- ``auth``: API keys (``Authorization: Bearer KEY``) and their scopes; the public
  ``/v1/schema``;
- ``errors``: the error tree and HTTP errors as JSON naming the field;
- ``schemas``: pydantic models of the contract's JSON, for the OpenAPI document;
- ``media``: what ``/v1/check`` reads and answers (``Content-Type``, ``Accept``) and
  the status headers of a claims file's answer;
- ``checking``: a check's work off the event loop (read, check, render, audit records);
- ``routes``: ``/v1/*``, health and readiness, the page;
- ``templates/`` and ``static/``: the provider's prompt page (no build step): the
  encounter form (``encounter-form.js``), the line questions' forms
  (``line-prompts.js``) and the rest (``page.js``).
"""
