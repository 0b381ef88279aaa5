"""Side-by-side benchmark of the reference recipe and this project's stages."""
