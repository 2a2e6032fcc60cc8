#: ej9: counts every bias (the Dense one too) as a convolution bias
def desglose_parametros(modelo):
    contar = lambda vs: int(sum(np.prod(v.shape) for v in vs))
    return {'total': modelo.count_params(), 'entrenables': contar(modelo.trainable_weights),
            'no_entrenables': contar(modelo.non_trainable_weights),
            'sesgos_conv': contar([w for w in modelo.weights if 'bias' in w.name])}
