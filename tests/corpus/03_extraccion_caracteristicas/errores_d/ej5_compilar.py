#: ej5: from_logits=False although the head outputs logits
def compilar(modelo):
    modelo.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])
    return modelo
