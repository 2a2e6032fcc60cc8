def parametros_conv(k, c_entrada, c_salida, sesgo=True):
    return (k * k * c_entrada + int(sesgo)) * c_salida
def parametros_densa(n_entrada, n_salida, sesgo=True):
    return (n_entrada + (1 if sesgo else 0)) * n_salida
