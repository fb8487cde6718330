from vostui.cli import main

raise SystemExit(main())
