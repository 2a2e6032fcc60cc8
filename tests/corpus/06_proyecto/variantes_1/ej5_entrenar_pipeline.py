#: ej5: frozen model with more epochs, written step by step with its own pieces
def entrenar_pipeline(x_entrenamiento, y_entrenamiento, preparar=preparar_digitos):
    entrada = preparar(np.asarray(x_entrenamiento))
    modelo = construir_congelado(10, entrada)
    historia = entrenar(modelo, entrada, np.asarray(y_entrenamiento), epocas=15)
    return modelo
