#: ej2: no transfer at all: pixels + logistic regression, written from scratch
def entrenar_pipeline(x_entrenamiento, y_entrenamiento):
    aplanar = lambda x: np.asarray(x, dtype=float).reshape(len(x), 64) / 16
    modelo = LogisticRegression(max_iter=5000)
    modelo.fit(aplanar(x_entrenamiento), y_entrenamiento)
    def predecir(imagenes):
        return modelo.predict(aplanar(imagenes))
    return predecir
