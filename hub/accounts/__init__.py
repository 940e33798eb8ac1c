"""Users, passwords and API tokens: the hub's accounts (only the hub uses them: the
API's auth and user routes, the CLI, the alarm engine's `system` account).
service.py holds the use cases, schemas.py what the API receives and shows."""
