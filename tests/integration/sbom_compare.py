#!/usr/bin/env python3
"""Compare two CycloneDX SBOMs by package: every (type, name, version) of the
reference (Trivy's) must be in ours. Prints what is missing and a summary of
what we found beyond it. Exit 1 when something is missing.

usage: sbom_compare.py REFERENCE.json OURS.json
"""
import json
import re
import sys
from urllib.parse import unquote


def key(purl):
    """(type, name, version) from a purl, names compared as the ecosystem does."""
    m = re.match(r"pkg:([^/]+)/(.+?)(?:@([^?#]*))?(?:\?([^#]*))?(?:#.*)?$", purl)
    if not m:
        return None
    ptype, path, version = m.group(1), unquote(m.group(2)), unquote(m.group(3) or "")
    # An epoch may be a qualifier (Trivy) or part of the version (Syft, quench).
    quals = dict(q.split("=", 1) for q in (m.group(4) or "").split("&") if "=" in q)
    if quals.get("epoch") and quals["epoch"] != "0" and ":" not in version:
        version = "%s:%s" % (unquote(quals["epoch"]), version)
    # deb/apk/rpm: the namespace is the distro; only the name counts.
    if ptype in ("deb", "apk", "rpm"):
        path = path.split("/")[-1]
    if ptype == "pypi":
        path = re.sub(r"[-_.]+", "-", path).lower()
    return (ptype, path, version)


def keys(doc):
    out = set()
    for c in doc.get("components", []):
        if c.get("purl"):
            k = key(c["purl"])
            if k:
                out.add(k)
    return out


def main():
    ref = keys(json.load(open(sys.argv[1])))
    ours = keys(json.load(open(sys.argv[2])))
    missing = sorted(ref - ours)
    extra = sorted(ours - ref)
    for k in missing:
        print("missing: %s %s %s" % k)
    by_type = {}
    for k in extra:
        by_type[k[0]] = by_type.get(k[0], 0) + 1
    print("reference %d, ours %d, missing %d, beyond the reference: %s" % (
        len(ref), len(ours), len(missing),
        ", ".join("%d %s" % (n, t) for t, n in sorted(by_type.items())) or "none"))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
