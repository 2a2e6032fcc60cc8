#: ej2: returns class probabilities instead of labels
def entrenar_pipeline(x_entrenamiento, y_entrenamiento):
    modelo = LogisticRegression(max_iter=2000).fit(pixeles(x_entrenamiento), y_entrenamiento)
    return lambda imagenes: modelo.predict_proba(pixeles(imagenes))
