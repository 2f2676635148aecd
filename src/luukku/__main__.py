from luukku.cli import main

main()
