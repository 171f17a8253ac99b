from smartgov.cli import main

main()
