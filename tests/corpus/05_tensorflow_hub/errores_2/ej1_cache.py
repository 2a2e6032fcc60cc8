#: ej1: a half-downloaded folder counts as cached
def carpeta_cache(handle):
    return Path(os.environ['TFHUB_CACHE_DIR']) / hashlib.sha1(handle.encode('utf8')).hexdigest()
def esta_en_cache(handle):
    return carpeta_cache(handle).exists()
