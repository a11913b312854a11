#!/usr/bin/env python3
"""Prints every failed test of a dotnet test run, from its TRX files, with message and stack, and the
reason of every skip (a test skipped for want of a tool checked nothing, and must not pass unseen).

The console log of a parallel run interleaves four test projects and the service's own logging, and a CI
that keeps only the end of it loses the one failure that matters; this repeats the failures last.
  test-summary.py DIR   (the --results-directory of dotnet test)
"""
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def main(directory):
    totals = {}
    failures = []
    skips = {}
    for trx in sorted(pathlib.Path(directory).glob("*.trx")):
        root = ElementTree.parse(trx).getroot()
        for result in root.iterfind(".//t:UnitTestResult", NS):
            outcome = result.get("outcome", "?")
            totals[outcome] = totals.get(outcome, 0) + 1
            if outcome == "Failed":
                message = result.findtext(".//t:ErrorInfo/t:Message", "", NS).strip()
                stack = result.findtext(".//t:ErrorInfo/t:StackTrace", "", NS).strip()
                failures.append((result.get("testName"), result.get("duration"), message, stack))
            elif outcome == "NotExecuted":
                reason = result.findtext(".//t:ErrorInfo/t:Message", "", NS).strip()
                skips.setdefault(reason, []).append(result.get("testName"))
    print("Test outcomes: " + ", ".join(f"{count} {outcome.lower()}" for outcome, count in sorted(totals.items())))
    for reason, names in skips.items():
        print(f"\nSKIPPED {len(names)} tests ({', '.join(sorted(set(names)))}): {reason}")
    for name, duration, message, stack in failures:
        print(f"\nFAILED {name} ({duration})\n{message}\n" + "\n".join(stack.splitlines()[:15]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "artifacts/test-results"))
