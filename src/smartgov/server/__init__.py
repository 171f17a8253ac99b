"""The server: the FastAPI app assembled from the web kit and every enabled capability,
with the shell's own routes (accounts, the organisation, home, sign-in) and `serve`."""
