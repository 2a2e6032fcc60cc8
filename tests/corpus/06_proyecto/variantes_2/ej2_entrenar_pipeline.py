#: ej2: frozen backbone features + logistic regression (uses this submission's ej1)
def entrenar_pipeline(x_entrenamiento, y_entrenamiento):
    return entrenar_congelado(x_entrenamiento, y_entrenamiento)
