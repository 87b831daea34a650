#!/usr/bin/env python3
"""Writes a synthetic incident corpus as JSONL for `atlasview import incidents`:
N incidents over a tag vocabulary of T tags (a few very common ones and a long
tail, as real corpora have), each with two ATLAS techniques (30,000 steps for 15,000 incidents) and
dates over the last three years (some to a month or a year only).

Usage: bench/corpus.py --incidents 15000 --tags 4000 --techniques ids.txt > corpus.jsonl
The same arguments give the same file (fixed seed)."""

import argparse
import json
import random
import sys

WORDS = ("prompt injection jailbreak model theft data poisoning evasion extraction "
         "membership inference supply chain backdoor denial of service chatbot agent "
         "plugin retrieval embedding classifier deepfake voice fraud phishing").split()
SECTORS = ["finance", "health", "retail", "government", "energy", "education", "media"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=15000)
    ap.add_argument("--tags", type=int, default=4000)
    ap.add_argument("--techniques", required=True, help="file with one technique ID a line")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    techniques = [t.strip() for t in open(args.techniques) if t.strip()]
    vocabulary = [f"{rng.choice(WORDS)}-{i:04d}" for i in range(args.tags)]
    out = sys.stdout
    for n in range(args.incidents):
        # Every tag is used at least once; the first few very often.
        tags = {vocabulary[n % args.tags], vocabulary[min(int(rng.paretovariate(1.2)) - 1, args.tags - 1)]}
        tags.add(rng.choice(SECTORS))
        year = 2024 + rng.randrange(3)
        month = rng.randrange(1, 13)
        day = rng.randrange(1, 29)
        occurred = rng.choice([f"{year}", f"{year}-{month:02d}", f"{year}-{month:02d}-{day:02d}",
                               f"{year}-{month:02d}-{day:02d}"])
        record = {
            "external_id": f"bench-{n}",
            "source": "bench-corpus",
            "title": f"{' '.join(rng.sample(WORDS, 3)).capitalize()} incident {n}",
            "summary": f"Synthetic incident {n} of the benchmark corpus: {' '.join(rng.sample(WORDS, 8))}.",
            "severity": rng.choice(["low", "medium", "high", "critical"]),
            "occurred_at": occurred,
            "tags": sorted(tags),
            "techniques": rng.sample(techniques, 2),
        }
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
