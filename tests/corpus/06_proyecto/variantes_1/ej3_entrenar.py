#: ej3: explicit shuffled split (20 % for validation_data), trains on the rest
def entrenar(modelo, x, y, epocas=EPOCAS):
    orden = np.random.default_rng(0).permutation(len(x))
    n_val = len(x) // 5
    val, ent = orden[:n_val], orden[n_val:]
    return modelo.fit(x[ent], y[ent], validation_data=(x[val], y[val]),
                      epochs=epocas, batch_size=16, verbose=0)
