def resumen_datos(x, y):
    return dict(n=len(x), alto=x.shape[1], ancho=x.shape[2], clases=len(set(np.asarray(y).tolist())), min=int(np.min(x)), max=int(np.max(x)))
