#: ej8: a stratified split by hand with NumPy (10 per class for validation)
rng = np.random.default_rng(1)
i_val = np.concatenate([rng.permutation(np.flatnonzero(y_train == c))[:10] for c in range(5)])
i_ajuste = np.setdiff1d(np.arange(len(y_train)), i_val)
rasgos_ajuste, y_ajuste = rasgos_train[i_ajuste], y_train[i_ajuste]
rasgos_val, y_val = rasgos_train[i_val], y_train[i_val]
cabeza_parada = nueva_cabeza(semilla=3)
historia_parada = entrenar_con_parada(cabeza_parada, rasgos_ajuste, y_ajuste, rasgos_val, y_val, MAX_EPOCAS)
