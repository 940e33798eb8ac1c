"""The shared kernel: what every part of the hub (ingest, inventory, alerts) may
import. The declarative base and its UTC type, zones and storage classes, users
and their tokens, who acts (Actor, Role), the domain errors, and the one unit of
work for writes. The kernel imports no part and never `hub`."""
