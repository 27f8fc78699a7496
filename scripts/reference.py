#!/usr/bin/python3
"""Reference models for dsopilot's backtest on a cleared-items export.

Reads the same export dsopilot's `backtest` reads (one row per invoice with
its clearing date), splits it at the same cut-off, and trains scikit-learn
and XGBoost models on simple point-in-time features computed here, in
Python, independently of dsopilot: for each invoice, as of its issue date,
its customer's history (invoices issued before, settlements and how late
they were, open and overdue items), the amount against the customer's
earlier invoices, the terms, the due month, the country and the channel.
The disputed flag is not used: it carries no date (see docs/features.md).

Training invoices are those issued before the cut-off whose late label was
known the day before it (due plus grace before then); test invoices are those
issued from the cut-off on whose outcome is known at the end of the data,
exactly as dsopilot's RunBacktest chooses them. With --predictions (the file
`dsopilot backtest --predictions` writes) dsopilot's own figures are computed
here on the same invoices, so the table compares like with like; its
accuracy is that of its own late/on-time calls (the file's `late` column, at
the threshold chosen in training), the others' at p >= 0.5.

With --truth (the truth.csv datasets/realformat writes beside an export: each
invoice's simulated probability of paying late) every model is also scored
against the true probabilities rather than the one outcome drawn from them:
expected accuracy (the mean of p_true where a model calls late, 1 - p_true
where it calls on time) and expected Brier (mean (p - p_true)^2 + p_true(1 -
p_true)). On a few hundred test invoices the drawn outcomes move accuracy by
one or two points either way; the expected figures do not depend on the draw.

Not part of `make test`; Debian's python3-sklearn and python3-xgboost are
enough:

    /usr/bin/python3 scripts/reference.py --export FILE --columns customer_id=Kunde,... \\
        --date-format %d.%m.%Y --decimal-comma --cutoff 2024-05-13 --predictions pred.csv
"""

import argparse
import csv
import math
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import xgboost


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--export", required=True, help="the cleared-items file")
    ap.add_argument("--columns", default="", help="canonical=header,... as dsopilot's --columns")
    ap.add_argument("--date-format", default="%Y-%m-%d", help="strftime format of the dates")
    ap.add_argument("--decimal-comma", action="store_true", help="amounts are written 1.234,56")
    ap.add_argument("--cutoff", help="first test day (YYYY-MM-DD); default: the 0.7 quantile of issue dates, as dsopilot")
    ap.add_argument("--split", type=float, default=0.7)
    ap.add_argument("--grace-days", type=int, default=0)
    ap.add_argument("--predictions", help="dsopilot backtest --predictions file, scored on the same invoices")
    ap.add_argument("--truth", help="truth.csv: invoice_id,p_late (true probabilities) for expected accuracy and Brier")
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


def read_export(a):
    mapping = {}
    for part in filter(None, a.columns.split(",")):
        canon, header = part.split("=", 1)
        mapping[header.strip().lower()] = canon.strip()
    with open(a.export, encoding="utf-8-sig", newline="") as f:
        head = f.readline()
        delim = max(";,\t|", key=head.count)
        f.seek(0)
        if f.read(1) != "\ufeff":
            f.seek(0)
        rows = list(csv.reader(f, delimiter=delim))
    header = [mapping.get(h.strip().lower(), h.strip().lower()) for h in rows[0]]
    col = {h: i for i, h in enumerate(header)}

    def get(r, name):
        i = col.get(name)
        return r[i].strip() if i is not None and i < len(r) else ""

    def day(s):
        if not s:
            return None
        for fmt in (a.date_format, "%Y-%m-%d"):
            try:
                return datetime.strptime(s, fmt).date()
            except ValueError:
                pass
        raise ValueError("date %r" % s)

    def amount(s):
        s = s.replace(" ", "")
        if a.decimal_comma:
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
        if s.endswith("-"):
            s = "-" + s[:-1]
        return float(s)

    out = []
    for r in rows[1:]:
        if not any(x.strip() for x in r):
            continue
        out.append(dict(customer=get(r, "customer_id"), id=get(r, "invoice_id"), issue=day(get(r, "issue_date")),
                        due=day(get(r, "due_date")), amount=amount(get(r, "amount")), settled=day(get(r, "settled_date")),
                        country=get(r, "country"), channel=get(r, "channel")))
    return out


def features(invs):
    """Point-in-time features of every invoice as of its issue date."""
    by = defaultdict(list)
    for v in invs:
        by[v["customer"]].append(v)
    feats = {}
    for cust, vs in by.items():
        vs.sort(key=lambda v: (v["issue"], v["id"]))
        for v in vs:
            t = v["issue"]
            prior = [w for w in vs if w["issue"] < t]
            settled = [w for w in prior if w["settled"] and w["settled"] <= t]
            recent = [w for w in settled if w["settled"] > t - timedelta(days=365)]
            late = [w for w in recent if w["settled"] > w["due"]]
            dl = [max(0, (w["settled"] - w["due"]).days) for w in recent]
            open_ = [w for w in prior if not (w["settled"] and w["settled"] <= t)]
            overdue = [w for w in open_ if w["due"] < t]
            amounts = [w["amount"] for w in prior]
            last = max((w["settled"] for w in settled), default=None)
            feats[v["id"]] = dict(
                n_prior=len(prior), n_settled=len(recent),
                late_ratio=len(late) / len(recent) if recent else math.nan,
                days_late_mean=sum(dl) / len(dl) if dl else math.nan,
                days_late_max=max(dl) if dl else math.nan,
                n_open=len(open_), n_overdue=len(overdue),
                oldest_overdue=max(((t - w["due"]).days for w in overdue), default=0),
                since_last_settlement=(t - last).days if last else math.nan,
                log_amount=math.log1p(max(v["amount"], 0)),
                amount_vs_usual=v["amount"] / (sum(amounts) / len(amounts)) if amounts and sum(amounts) > 0 else math.nan,
                terms=(v["due"] - v["issue"]).days, due_month=v["due"].month, due_day=v["due"].day,
                country=v["country"], channel=v["channel"])
    return feats


NUMERIC = ["n_prior", "n_settled", "late_ratio", "days_late_mean", "days_late_max", "n_open", "n_overdue",
           "oldest_overdue", "since_last_settlement", "log_amount", "amount_vs_usual", "terms", "due_month", "due_day"]


def matrix(ids, feats, levels):
    X = []
    for i in ids:
        f = feats[i]
        row = [f[k] for k in NUMERIC]
        for name, ls in levels:
            row += [1.0 if f[name] == l else 0.0 for l in ls]
        X.append(row)
    return np.array(X, dtype=float)


def metrics(p, y, truth=None, call=None):
    """AUC, accuracy and Brier of p against outcomes y; call is the late/on-time
    call (default p >= 0.5); with truth (true probabilities) also the expected
    accuracy and Brier."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    call = p >= 0.5 if call is None else np.asarray(call, bool)
    m = dict(auc=roc_auc_score(y, p), accuracy=float(np.mean(call == (y == 1))), brier=brier_score_loss(y, p), n=len(y))
    if truth is not None:
        t = np.asarray(truth, float)
        m["exp_accuracy"] = float(np.mean(np.where(call, t, 1 - t)))
        m["exp_brier"] = float(np.mean((p - t) ** 2 + t * (1 - t)))
    return m


def main():
    a = parse_args()
    invs = read_export(a)
    grace = timedelta(days=a.grace_days)
    end = max(max(v["issue"] for v in invs), max((v["settled"] for v in invs if v["settled"]), default=date.min))
    if a.cutoff:
        cut = datetime.strptime(a.cutoff, "%Y-%m-%d").date()
    else:
        issues = sorted(v["issue"] for v in invs)
        cut = issues[int(len(issues) * a.split)]
    as_of = cut - timedelta(days=1)
    feats = features(invs)
    train, test = [], []
    for v in invs:
        late_after = v["due"] + grace
        if v["issue"] < cut:
            if late_after < as_of:
                late = not (v["settled"] and v["settled"] <= as_of) or v["settled"] > late_after
                train.append((v["id"], late))
        elif v["settled"]:
            test.append((v["id"], v["settled"] > late_after))
        elif end > late_after:
            test.append((v["id"], True))
    levels = []
    for name in ("country", "channel"):
        counts = defaultdict(int)
        for i, _ in train:
            counts[feats[i][name]] += 1
        levels.append((name, sorted(l for l, n in counts.items() if n >= 5)))
    Xtr, ytr = matrix([i for i, _ in train], feats, levels), np.array([float(l) for _, l in train])
    Xte, yte = matrix([i for i, _ in test], feats, levels), np.array([float(l) for _, l in test])
    prior = ytr.mean()
    ids = [i for i, _ in test]
    truth = None
    if a.truth:
        with open(a.truth, newline="") as f:
            tp = {r["invoice_id"]: float(r["p_late"]) for r in csv.DictReader(f)}
        missing = [i for i in ids if i not in tp]
        if missing:
            sys.exit("reference: %s: no true probability for %d test invoices (first %s)" % (a.truth, len(missing), missing[0]))
        truth = np.array([tp[i] for i in ids])
    results = []
    if a.predictions:
        pred, late = {}, {}
        with open(a.predictions, newline="") as f:
            for r in csv.DictReader(f):
                pred[r["invoice_id"]] = float(r["p_late"])
                if r.get("late", "") != "":
                    late[r["invoice_id"]] = r["late"] == "1"
        missing = [i for i in ids if i not in pred]
        if missing or len(pred) != len(ids):
            print("warning: dsopilot tested %d invoices, this split %d (%d not in dsopilot's)" % (len(pred), len(ids), len(missing)), file=sys.stderr)
        keep = [k for k, i in enumerate(ids) if i in pred]
        call = [late[ids[k]] for k in keep] if late else None
        results.append(("dsopilot", metrics([pred[ids[k]] for k in keep], yte[keep], None if truth is None else truth[keep], call)))
    hgb = HistGradientBoostingClassifier(random_state=a.seed).fit(Xtr, ytr)
    results.append(("sklearn hist GBDT", metrics(hgb.predict_proba(Xte)[:, 1], yte, truth)))
    lr = make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler(), LogisticRegression(max_iter=2000))
    lr.fit(Xtr, ytr)
    results.append(("sklearn logistic", metrics(lr.predict_proba(Xte)[:, 1], yte, truth)))
    xgb = xgboost.XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1, tree_method="hist", random_state=a.seed)
    xgb.fit(Xtr, ytr)
    results.append(("xgboost", metrics(xgb.predict_proba(Xte)[:, 1], yte, truth)))
    k = NUMERIC.index("late_ratio")
    hist = np.where(np.isnan(Xte[:, k]), prior, Xte[:, k])
    results.append(("customer history", metrics(hist, yte, truth)))
    results.append(("prior", metrics(np.full(len(yte), prior), yte, truth)))
    print("cut-off %s: %d training, %d test invoices, %.1f%% late in training" % (cut, len(train), len(test), 100 * prior))
    head = "%-18s %6s %9s %6s %6s" % ("", "AUC", "accuracy", "Brier", "n")
    if truth is not None:
        head += " %9s %9s" % ("exp. acc", "exp. Brier")
    print(head)
    for name, m in results:
        line = "%-18s %6.3f %9.3f %6.3f %6d" % (name, m["auc"], m["accuracy"], m["brier"], m["n"])
        if truth is not None:
            line += " %9.4f %9.4f" % (m["exp_accuracy"], m["exp_brier"])
        print(line)


if __name__ == "__main__":
    main()
