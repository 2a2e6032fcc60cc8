#: ej1: forgets the biases
def parametros_conv(k, c_entrada, c_salida, sesgo=True):
    return k * k * c_entrada * c_salida
def parametros_densa(n_entrada, n_salida, sesgo=True):
    return n_entrada * n_salida
