# p_90_plus of a simulated ledger's open invoices against what happened:
# Brier, log loss and AUC of `dsopilot score`'s p_90_plus, and the mean by
# the customers' true behaviour (truth_customers.csv). An invoice counts as
# 90+ when it settled more than 90 days after due, or is still open 90 days
# after due by END; one still open and not yet 90 days overdue by END is left
# out. Not part of `make test`.
#
# usage: python3 scripts/eval_p90plus.py scores.csv LEDGER_DIR END
#   (LEDGER_DIR from dsopilot synth; scores.csv from dsopilot score)
import csv, sys, math, datetime as dt
sc, led, end = sys.argv[1], sys.argv[2], dt.date.fromisoformat(sys.argv[3])
typ = {r['customer_id']: r['behaviour'] for r in csv.DictReader(open(led + '/truth_customers.csv'))}
inv = {r['invoice_id']: r for r in csv.DictReader(open(led + '/invoices.csv'))}
rows = []; skipped = 0
for r in csv.DictReader(open(sc)):
    t = inv.get(r['invoice_id'])
    if t is None or r['p_90_plus'] == '':
        skipped += 1; continue
    due = dt.date.fromisoformat(t['due_date'])
    if t['settled_date']:
        y = 1 if (dt.date.fromisoformat(t['settled_date']) - due).days > 90 else 0
    elif due + dt.timedelta(days=90) < end:
        y = 1
    else:
        skipped += 1; continue
    rows.append((float(r['p_90_plus']), y, typ.get(r['customer_id'], '?')))
n = len(rows)
brier = sum((p - y) ** 2 for p, y, _ in rows) / n
ll = -sum(y * math.log(max(p, 1e-6)) + (1 - y) * math.log(max(1 - p, 1e-6)) for p, y, _ in rows) / n
# AUC
pos = [p for p, y, _ in rows if y]; neg = [p for p, y, _ in rows if not y]
import bisect
ns = sorted(neg); auc = sum(bisect.bisect_left(ns, p) + 0.5 * (bisect.bisect_right(ns, p) - bisect.bisect_left(ns, p)) for p in pos) / max(1, len(pos) * len(neg))
print(f"n={n} skipped={skipped} positives={len(pos)} mean_p={sum(p for p,_,_ in rows)/n:.4f} brier={brier:.4f} logloss={ll:.4f} auc={auc:.3f}")
by = {}
for p, y, t in rows: by.setdefault(t, []).append((p, y))
for t in sorted(by):
    v = by[t]; print(f"  {t:16s} n={len(v):5d} mean_p={sum(p for p,_ in v)/len(v):.3f} actual={sum(y for _,y in v)/len(v):.3f}")
rows.sort(); k = 10
print("  deciles (mean_p/actual):", " ".join(f"{sum(p for p,_,_ in rows[i*n//k:(i+1)*n//k])/max(1,len(rows[i*n//k:(i+1)*n//k])):.3f}/{sum(y for _,y,_ in rows[i*n//k:(i+1)*n//k])/max(1,len(rows[i*n//k:(i+1)*n//k])):.3f}" for i in range(k)))
