def campo_receptivo(n_capas, k=3):
    lado = 1
    for _ in range(n_capas):
        lado += k - 1
    return lado
def pesos_pila(n_capas, k, c):
    return sum(parametros_conv(k, c, c, sesgo=False) for _ in range(n_capas))
