#: ej2: firma.inputs/outputs are graph tensors ('image:0', plus captured variables)
def describir_firma(modelo, nombre='serving_default'):
    firma = modelo.signatures[nombre]
    d = lambda ts: {t.name: (tuple(t.shape.as_list()), t.dtype.name) for t in ts}
    return {'entradas': d(firma.inputs), 'salidas': d(firma.outputs)}
