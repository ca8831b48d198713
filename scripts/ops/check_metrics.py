"""The metrics, their documentation, the alerting rules and the dashboard agree.

- every metric the code records is in docs/operations.md's table, and every metric there is
  recorded by the code;
- every series the rules and the dashboard query is a documented metric, a recorded rule, or
  Prometheus's own `up`;
- every alert has a runbook entry in docs/operations.md that its `runbook` annotation points to;
- the dashboard's panels have unique ids and query through its data source variable.
"""

import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan"}
failures = []


def fail(message):
    failures.append(message)


def recorded_in_code():
    names = set()
    pattern = re.compile(r'\b(?:counter|gauge|histogram)!\(\s*"([a-z_]+)"')
    for path in (ROOT / "src").rglob("*.rs"):
        names.update(pattern.findall(path.read_text()))
    return names


def documented():
    text = (ROOT / "docs/operations.md").read_text()
    table = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M)), text


def series_in(expr):
    """Metric names a PromQL expression selects (label matchers, grouping and ranges removed)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr):
        word = match.group(1)
        if word.lower() not in KEYWORDS and not re.fullmatch(r"\d+[smhdwy]", word):
            names.add(word)
    return names


def base_name(series):
    return re.sub(r"_(bucket|count|sum)$", "", series)


def main():
    code = recorded_in_code()
    docs, docs_text = documented()
    for name in sorted(code - docs):
        fail(f"{name} is recorded by the code but not documented in docs/operations.md")
    for name in sorted(docs - code):
        fail(f"{name} is documented but nothing records it")

    rules = yaml.safe_load((ROOT / "deploy/prometheus/rules.yml").read_text())
    recorded = set()
    expressions = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                recorded.add(rule["record"])
            expressions.append((rule.get("record") or rule.get("alert"), rule["expr"]))
            if "alert" in rule:
                runbook = rule.get("annotations", {}).get("runbook", "")
                anchor = rule["alert"].lower()
                if runbook != f"docs/operations.md#{anchor}":
                    fail(f"alert {rule['alert']}: runbook should be docs/operations.md#{anchor}")
                if not re.search(rf"^### {rule['alert']}$", docs_text, re.M):
                    fail(f"alert {rule['alert']} has no '### {rule['alert']}' entry in docs/operations.md")

    dashboard = json.loads((ROOT / "deploy/grafana/chat-server.json").read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    if len(ids) != len(set(ids)):
        fail("dashboard panel ids repeat")
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            fail(f"panel {panel['title']!r} does not use the $datasource variable")
        if not panel.get("targets"):
            fail(f"panel {panel['title']!r} has no query")
        for target in panel.get("targets", []):
            expressions.append((f"panel {panel['title']!r}", target["expr"]))

    known = docs | recorded | {"up"}
    for where, expr in expressions:
        for series in series_in(expr):
            if base_name(series) not in known and series not in known:
                fail(f"{where} queries {series}, which no metric or rule provides")

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{len(code)} metrics documented; {len(expressions)} expressions query only known series")


main()
