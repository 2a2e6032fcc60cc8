#: ej4: only the winners are plotted (VGG-16, ZFNet missing)
def graficar_error(tabla, ax=None):
    if ax is None:
        fig, ax = plt.subplots()
    g = tabla[tabla['ilsvrc_place_task'].str.startswith(GANADOR)]
    ax.plot(g['year'], g['top5_error_pct'], 'o-')
    for m, x, y in zip(g['model'], g['year'], g['top5_error_pct']):
        ax.annotate(m, (x, y))
    ax.axhline(tabla.loc[tabla['model'] == HUMANO, 'top5_error_pct'].iloc[0])
    ax.set_xlabel('año')
    ax.set_ylabel('error top-5 (%)')
    return ax
