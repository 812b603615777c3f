// Command etcd is etcd's own server entry point (go.etcd.io/etcd/server/v3/etcdmain), built at the
// version go.mod pins so the control plane's store comes from the same Go module proxy as the rest.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
