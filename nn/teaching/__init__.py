"""The teaching views of networks: the network view, the δ mode, its page, practice and command."""
