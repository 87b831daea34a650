#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with seeds (idempotent; files named by content
hash): the hand-written ones in fuzz/seeds/, the test fixtures, and small
slices of the real ATLAS data in ../shared/atlas cut at run time. The corpus
directory is git-ignored: nothing of ../shared is ever committed.

Usage: fuzz/seed.py [TARGET...]   (all targets without arguments)
"""

import hashlib
import json
import os
import sys

import yaml

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SHARED = os.environ.get("ATLAS_DATA", os.path.join(ROOT, "..", "shared", "atlas"))
TARGETS = [
    "atlas_legacy", "atlas_v6", "atlas_stix", "layer", "case_study",
    "stix_bundle", "alert", "bulk_import", "query",
]


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16])
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def shared(name):
    path = os.path.join(SHARED, name)
    return path if os.path.exists(path) else None


def dump(doc):
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def cut(text, n=160):
    return text[:n] if isinstance(text, str) else text


def legacy_slice(doc, techniques=14, mitigations=3, studies=2):
    """All tactics, a few techniques (with their sub-techniques' parents
    kept), mitigations and case studies pointing only at what is kept."""
    out = {k: doc[k] for k in ("id", "name", "version")}
    m = dict(doc["matrices"][0])
    kept = []
    for t in m["techniques"]:
        parent = t.get("subtechnique-of")
        if parent and parent not in {k["id"] for k in kept}:
            continue
        kept.append(dict(t, description=cut(t.get("description", ""))))
        if len(kept) >= techniques:
            break
    ids = {t["id"] for t in kept}
    m["tactics"] = [dict(t, description=cut(t.get("description", ""))) for t in m["tactics"]]
    m["techniques"] = kept
    m["mitigations"] = []
    for x in m.get("mitigations", []):
        refs = [r for r in x.get("techniques", []) if (r.get("id") if isinstance(r, dict) else r) in ids]
        if refs:
            m["mitigations"].append(dict(x, techniques=refs, description=cut(x.get("description", ""))))
        if len(m["mitigations"]) >= mitigations:
            break
    out["matrices"] = [m]
    out["case-studies"] = []
    for cs in doc.get("case-studies", []):
        proc = [p for p in cs.get("procedure", []) if p.get("technique") in ids]
        if proc:
            out["case-studies"].append(dict(cs, procedure=proc, summary=cut(cs.get("summary", ""))))
        if len(out["case-studies"]) >= studies:
            break
    return out


def stix_slice(bundle, patterns=16, mitigations=3):
    objs = bundle["objects"]
    keep = [o for o in objs if o["type"] in ("x-mitre-tactic", "x-mitre-matrix", "x-mitre-collection")]
    keep += [o for o in objs if o["type"] == "attack-pattern"][:patterns]
    keep += [o for o in objs if o["type"] == "course-of-action"][:mitigations]
    ids = {o["id"] for o in keep}
    keep += [o for o in objs if o["type"] == "relationship"
             and o.get("source_ref") in ids and o.get("target_ref") in ids]
    ids = {o["id"] for o in keep}
    out = []
    for o in keep:
        o = dict(o)
        if "description" in o:
            o["description"] = cut(o["description"])
        if "x_mitre_contents" in o:
            o["x_mitre_contents"] = [c for c in o["x_mitre_contents"] if c.get("object_ref") in ids]
        if "tactic_refs" in o:
            o["tactic_refs"] = [r for r in o["tactic_refs"] if r in ids]
        out.append(o)
    return dict(bundle, objects=out)


def seeds_dir(target):
    d = os.path.join(FUZZ, "seeds", target)
    if os.path.isdir(d):
        for name in sorted(os.listdir(d)):
            put(target, read(os.path.join(d, name)))


def atlas_legacy():
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".yaml") and "v6" not in name:
            put("atlas_legacy", read(os.path.join(FIXTURES, name)))
    for name in ("ATLAS-4.8.0.yaml", "ATLAS-5.6.0.yaml"):
        path = shared(name)
        if not path:
            continue
        doc = yaml.safe_load(read(path))
        put("atlas_legacy", dump(legacy_slice(doc)))
        put("atlas_legacy", dump(legacy_slice(doc, techniques=4, mitigations=1, studies=1)))
        # The upstream layout as written (quoting, block scalars), cut at a line.
        text = read(path).decode()
        put("atlas_legacy", text[: text.rfind("\n", 0, 6000) + 1])


def atlas_v6():
    put("atlas_v6", read(os.path.join(FIXTURES, "atlas-v6-small.yaml")))
    put("atlas_v6", read(os.path.join(FIXTURES, "bad-alias-bomb.yaml")))
    doc = yaml.safe_load(read(os.path.join(FIXTURES, "atlas-v6-small.yaml")))
    # Smaller variants: fewer techniques, no case studies or mitigations.
    for drop in ("case-studies", "mitigations", "sequences"):
        if drop in doc:
            put("atlas_v6", dump({k: v for k, v in doc.items() if k != drop}))


def atlas_stix():
    put("atlas_stix", read(os.path.join(FIXTURES, "stix-opencti-report.json")))
    path = shared("stix-atlas-5.6.0.json")
    if path:
        bundle = json.loads(read(path))
        put("atlas_stix", json.dumps(stix_slice(bundle), indent=1))
        put("atlas_stix", json.dumps(stix_slice(bundle, patterns=3, mitigations=1)))


def layer():
    seeds_dir("layer")
    base = shared("navigator-layers")
    if base:
        put("layer", read(os.path.join(base, "atlas_layer_matrix.json")))
        studies = os.path.join(base, "case-studies")
        for name in sorted(os.listdir(studies))[:12]:
            put("layer", read(os.path.join(studies, name)))


def case_study():
    seeds_dir("case_study")
    path = shared("ATLAS-5.6.0.yaml")
    if path:
        doc = yaml.safe_load(read(path))
        for cs in doc["case-studies"][:6]:
            cs = dict(cs, summary=cut(cs.get("summary", "")))
            cs["procedure"] = [dict(p, description=cut(p.get("description", ""), 80)) for p in cs.get("procedure", [])]
            put("case_study", "---\n" + dump({"study": cs}))
            put("case_study", dump(cs))


def stix_bundle():
    seeds_dir("stix_bundle")
    put("stix_bundle", read(os.path.join(FIXTURES, "stix-opencti-report.json")))


SEEDERS = {
    "atlas_legacy": atlas_legacy,
    "atlas_v6": atlas_v6,
    "atlas_stix": atlas_stix,
    "layer": layer,
    "case_study": case_study,
    "stix_bundle": stix_bundle,
    "alert": lambda: seeds_dir("alert"),
    "bulk_import": lambda: seeds_dir("bulk_import"),
    "query": lambda: seeds_dir("query"),
}

if __name__ == "__main__":
    for t in sys.argv[1:] or TARGETS:
        SEEDERS[t]()
        d = os.path.join(FUZZ, "corpus", t)
        print(f"{t}: {len(os.listdir(d)) if os.path.isdir(d) else 0} corpus files")
