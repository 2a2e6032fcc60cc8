"""Issue 3 study: backbone variants not in the model card's list; frozen transfer at k=5/20 (campo).

Usage (from the repository root, ~3.5 min per variant on 2 cores):
    .venv/bin/python benchmarks/backbone_variants/variants.py base mixup0.4 ...
Each variant prints one JSON line: source test accuracy in campo (src), and target test
accuracy with k=5 and k=20 labels per class for the cross-validated linear probe
(tlcourse.build.transfer_baselines.fit_linear_probe) and the model card's Keras Dense head
(tlcourse.build.transfer_baselines.train_linear_head). Zoom draws one scale per batch.
"""
import json, sys, time
import numpy as np
import tlcourse
from tlcourse import data
from tlcourse.build import transfer_baselines as baselines, backbone as bb
tf = bb._tf()

x_te, y_te = data.load_task("target", "test", "campo")
subs = {k: data.target_subset(k) for k in (5, 20)}

def evaluate(backbone):
    out = {}
    f_te = backbone.predict(bb.to_model_input(x_te), batch_size=500, verbose=0)
    for k, (xs, ys) in subs.items():
        fs = backbone.predict(bb.to_model_input(xs), batch_size=500, verbose=0)
        out[f"probe{k}"] = round(float(baselines.fit_linear_probe(fs, ys).score(f_te, y_te)), 4)
        h = baselines.train_linear_head(fs, ys)
        out[f"keras{k}"] = round(float(np.mean(h.predict(f_te, verbose=0).argmax(1) == y_te)), 4)
    return out

def run(name, epochs=5, lr=3e-3, rot=1.0, smooth=0.0, mixup=0.0, zoom=0.0, blocks=bb.BLOCKS, pooled=2,
        wd=0.0, seed=42, proj=256):
    t = time.perf_counter()
    tf.keras.utils.set_random_seed(seed)
    x28, y = data.load_task("source", "train", "catalogo")
    backbone = bb.build_backbone(blocks, pooled)
    fdim = backbone.output_shape[-1]
    head = bb.build_source_head(fdim, projector=proj)
    up = tf.keras.Input((32, 32, 3)); ro = tf.keras.Input((32, 32, 3))
    outs = [head(backbone(up))]
    if rot > 0:
        outs.append(bb.build_rotation_head(fdim)(backbone(ro)))
    model = tf.keras.Model([up, ro] if rot > 0 else up, outs)
    steps = epochs * int(np.ceil(len(y) / 128))
    sched = tf.keras.optimizers.schedules.CosineDecay(lr, decay_steps=steps)
    opt = tf.keras.optimizers.AdamW(sched, weight_decay=wd) if wd else tf.keras.optimizers.Adam(sched)
    cls_loss = tf.keras.losses.CategoricalCrossentropy(label_smoothing=smooth)
    losses = [cls_loss] + (["sparse_categorical_crossentropy"] if rot > 0 else [])
    model.compile(opt, loss=losses, loss_weights=[1.0, rot] if rot > 0 else None)
    rng = np.random.default_rng(seed)

    def prep(x, yy):
        x = tf.repeat(tf.cast(x, tf.float32)[..., None] / 255.0, 3, axis=-1)
        if zoom:
            s = tf.random.uniform([], 1 - zoom, 1 + zoom)
            size = tf.cast(tf.round(32 * s), tf.int32)
            x = tf.image.resize(x, [size, size])
            x = tf.image.resize_with_crop_or_pad(x, 32, 32)
        yy = tf.one_hot(tf.cast(yy, tf.int32), 5)
        xm = x
        if mixup:
            tf.random.uniform([])  # unused draw, kept so that the measured runs replay as they ran
            lam = tf.compat.v1.distributions.Beta(mixup, mixup).sample()
            lam = tf.maximum(lam, 1 - lam)  # each image keeps the larger share
            perm = tf.random.shuffle(tf.range(tf.shape(x)[0]))
            xm = lam * x + (1 - lam) * tf.gather(x, perm)
            yy = lam * yy + (1 - lam) * tf.gather(yy, perm)
        if rot > 0:
            r, turns = bb._rotate_quarters(x)
            return (xm, r), (yy, turns)
        return xm, yy

    for e in range(epochs):
        placed = data.random_campo(x28, rng)
        ds = tf.data.Dataset.from_tensor_slices((placed, y)).shuffle(len(y), seed=seed + e).batch(128).map(prep).prefetch(2)
        model.fit(ds, initial_epoch=e, epochs=e + 1, verbose=0)
    xt, yt = data.load_task("source", "test", "campo")
    src = float(np.mean(tf.keras.Model(backbone.input, head(backbone.output)).predict(bb.to_model_input(xt), batch_size=500, verbose=0).argmax(1) == yt))
    res = {"name": name, "src": round(src, 4), **evaluate(backbone), "s": round(time.perf_counter() - t)}
    print(json.dumps(res), flush=True)
    return res

VARIANTS = {
    "base": {},
    "smooth0.1": {"smooth": 0.1},
    "mixup0.4": {"mixup": 0.4},
    "zoom0.2": {"zoom": 0.2},
    "rot2": {"rot": 2.0},
    "pool3_96": {"blocks": ((32, 1), (64, 1), (96, 1), (96, 1)), "pooled": 3},
    "ep3": {"epochs": 3},
    "wd1e-2": {"wd": 1e-2},
    "mix_zoom_rot2": {"mixup": 0.4, "zoom": 0.2, "rot": 2.0},
    "mixup0.4_s1": {"mixup": 0.4, "seed": 1},
}
for name in sys.argv[1:]:
    run(name, **VARIANTS[name])
