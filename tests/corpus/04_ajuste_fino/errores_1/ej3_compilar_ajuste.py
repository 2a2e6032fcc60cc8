#: ej3: no recompile, only the learning rate of the old optimizer changes
def compilar_ajuste(modelo, lr_base):
    modelo.optimizer.learning_rate.assign(lr_base / 10)
    return modelo
