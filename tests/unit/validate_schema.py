#!/usr/bin/env python3
"""validate_schema.py SCHEMA FILE: validate the JSON document FILE against
the JSON schema SCHEMA. Exit 0 when valid, 1 when not (the errors on
stderr), 2 on usage or unreadable input.

Every *.json next to SCHEMA is loaded and known by its $id, so that a
schema's references to its neighbours (bom-1.6's "spdx.schema.json" and
"jsf-0.82.schema.json") resolve offline. Works with jsonschema 4.10
(Debian 12: RefResolver with a store) and newer (a referencing Registry).
Formats (date-time, …) are checked where jsonschema has a checker for them.
"""
import glob
import json
import os
import sys

import jsonschema


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def neighbours(schema_path):
    store = {}
    for p in sorted(glob.glob(os.path.join(os.path.dirname(schema_path) or ".", "*.json"))):
        try:
            s = load(p)
        except (OSError, ValueError):
            continue
        if isinstance(s, dict) and isinstance(s.get("$id"), str):
            store[s["$id"]] = s
    return store


def make_validator(schema, store):
    cls = jsonschema.validators.validator_for(schema)
    fmt = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    try:
        from referencing import Registry, Resource
    except ImportError:
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return cls(schema, resolver=resolver, format_checker=fmt)
    registry = Registry().with_resources(
        (uri, Resource.from_contents(s)) for uri, s in store.items())
    return cls(schema, registry=registry, format_checker=fmt)


def main(argv):
    if len(argv) != 3:
        print("usage: validate_schema.py SCHEMA FILE", file=sys.stderr)
        return 2
    try:
        schema = load(argv[1])
        doc = load(argv[2])
    except (OSError, ValueError) as e:
        print(f"validate_schema: {e}", file=sys.stderr)
        return 2
    validator = make_validator(schema, neighbours(argv[1]))
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for e in errors[:20]:
        where = "/".join(str(p) for p in e.absolute_path) or "(document)"
        print(f"{argv[2]}: {where}: {e.message[:500]}", file=sys.stderr)
    if len(errors) > 20:
        print(f"{argv[2]}: … and {len(errors) - 20} more errors", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
