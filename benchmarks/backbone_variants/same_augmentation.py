"""Issue 3 study: the same random-placement augmentation for the frozen head and the scratch CNN.

Each of the k x 5 labelled images gets R extra random campo placements (default k=20, R=10).
The scratch CNN is tuned as tlcourse.build.transfer_baselines.train_scratch_cnn does, with the validation
split made by original image, so that no copy of a validation image is trained on.
Usage: .venv/bin/python benchmarks/backbone_variants/same_augmentation.py [k] [R]
"""
import sys, time, json
import numpy as np
import tlcourse
from tlcourse import data
from tlcourse.build import transfer_baselines as baselines
from tlcourse.build.backbone import to_model_input
tf = baselines._tf()

R = int(sys.argv[2]) if len(sys.argv) > 2 else 10
k = int(sys.argv[1]) if len(sys.argv) > 1 else 20
SEED = 42
x_cat, y = data.target_subset(k, "catalogo")
x_campo, _ = data.target_subset(k, "campo")
x_test, y_test = data.load_task("target", "test", "campo")

def augment(idx, rng):
    xs = [x_campo[idx]] + [data.random_campo(x_cat[idx], rng) for _ in range(R)]
    return np.concatenate(xs), np.concatenate([y[idx]] * (R + 1))

rng = np.random.default_rng(SEED)
all_idx = np.arange(len(y))
xa, ya = augment(all_idx, rng)
out = {"k": k, "R": R}
t = time.perf_counter()
f_tr = baselines.extract_features(xa); f_te = baselines.cached_features(x_test)
out["frozen_probe_aug"] = float(baselines.fit_linear_probe(f_tr, ya).score(f_te, y_test))
head = baselines.train_linear_head(f_tr, ya, epochs=max(10, 100 // (R + 1)))
out["frozen_keras_aug"] = float(np.mean(head.predict(f_te, verbose=0).argmax(1) == y_test))
f0 = baselines.cached_features(x_campo)
out["frozen_keras_noaug"] = float(np.mean(baselines.train_linear_head(f0, y).predict(f_te, verbose=0).argmax(1) == y_test))
out["frozen_s"] = time.perf_counter() - t
print(out, flush=True)

# scratch with the same augmentation; split by original image (no copy leaks into validation)
t = time.perf_counter()
fit_o, val_o = baselines._stratified_split(y, 0.2, SEED)
rng = np.random.default_rng(SEED)
xf, yf = augment(fit_o, rng)
xv, yv = x_campo[val_o], y[val_o]
trials = []
for opt in baselines.SCRATCH_CANDIDATES:
    tf.keras.utils.set_random_seed(SEED)
    m = baselines.build_scratch_cnn((32, 32, 1), **opt)
    m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(baselines._scratch_input(xf), yf, validation_data=(baselines._scratch_input(xv), yv),
              epochs=100, batch_size=32, verbose=0,
              callbacks=[tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)])
    vl = h.history["val_loss"]; trials.append((min(vl), int(np.argmin(vl)) + 1, opt))
best = min(trials, key=lambda t: t[0])
tf.keras.utils.set_random_seed(SEED)
m = baselines.build_scratch_cnn((32, 32, 1), **best[2])
m.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(baselines._scratch_input(xa), ya, epochs=best[1], batch_size=32, verbose=0)
out["scratch_aug"] = float(np.mean(m.predict(baselines._scratch_input(x_test), verbose=0).argmax(1) == y_test))
out["scratch_trials"] = [(round(a, 4), b, c) for a, b, c in trials]
out["scratch_s"] = time.perf_counter() - t
print(json.dumps(out), flush=True)
