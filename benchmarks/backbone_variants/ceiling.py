"""Issue 3 study: the committed backbone's linear probe on growing label budgets, up to all
30,000 target training images (its ceiling), and the k=20 confusion matrix.

Usage: .venv/bin/python benchmarks/backbone_variants/ceiling.py   (about 2 minutes)
"""
import json, time
import numpy as np
import tlcourse
from tlcourse import data
from tlcourse.build import transfer_baselines as baselines
x_all, y_all = data.load_task("target", "train", "campo")
x_te, y_te = data.load_task("target", "test", "campo")
t = time.perf_counter()
f_all = baselines.extract_features(x_all); f_te = baselines.extract_features(x_te)
print("features", time.perf_counter() - t, f_all.shape, flush=True)
rng = np.random.default_rng(0)
out = {}
for k in (5, 20, 100):
    xs, ys = data.target_subset(k)
    fs = baselines.extract_features(xs)
    out[f"probe_k{k}"] = float(baselines.fit_linear_probe(fs, ys).score(f_te, y_te))
    print(k, out, flush=True)
for n in (500, 1000, 6000):
    idx = np.concatenate([rng.choice(np.flatnonzero(y_all == c), n, replace=False) for c in range(5)])
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    for C in (0.1, 1.0):
        m = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000)).fit(f_all[idx], y_all[idx])
        out[f"probe_n{n}_C{C}"] = float(m.score(f_te, y_te))
    print(n, out, flush=True)
# confusion at k=20 probe
xs, ys = data.target_subset(20); fs = baselines.extract_features(xs)
p = baselines.fit_linear_probe(fs, ys).predict(f_te)
from sklearn.metrics import confusion_matrix
print(confusion_matrix(y_te, p))
print(json.dumps(out))
