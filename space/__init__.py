"""The Gradio app (served by `python app.py` and as the hosted Space) and its deployment."""
