#: ej4: receptive field as n * k
def campo_receptivo(n_capas, k=3):
    return n_capas * k
def pesos_pila(n_capas, k, c):
    return n_capas * k * k * c * c
