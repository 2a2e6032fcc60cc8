#: ej2: scales 0-16 -> 0-1 when training but forgets it when predicting
def entrenar_pipeline(x_entrenamiento, y_entrenamiento):
    def a_red(imagenes, escala):
        x = tf.image.resize(np.asarray(imagenes, np.float32)[..., None] / escala, (32, 32))
        return tf.repeat(x, 3, axis=-1).numpy()
    modelo = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    modelo.fit(extractor.predict(a_red(x_entrenamiento, 16.0), verbose=0), y_entrenamiento)
    return lambda imagenes: modelo.predict(extractor.predict(a_red(imagenes, 1.0), verbose=0))
