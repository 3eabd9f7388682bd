package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/msnsniff/msnsniff/capture"
)

// interfaceRecord is one interface in interfaces --format json.
type interfaceRecord struct {
	Name      string   `json:"name"`
	Index     int      `json:"index"`
	Up        bool     `json:"up"`
	Loopback  bool     `json:"loopback"`
	MTU       int      `json:"mtu"`
	Hardware  string   `json:"hardware"`
	LinkType  string   `json:"link_type"`
	Addresses []string `json:"addresses"`
}

func newInterfacesCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "interfaces",
		Short: "List the interfaces msnsniff live can capture on",
		Long: `interfaces lists the network interfaces with their state, the link type a
capture on them records (EN10MB for Ethernet and loopback, LINUX_SLL for
tunnels and every other kind), and their addresses. "any" captures on all of
them at once. Listing needs no privilege; capturing needs CAP_NET_RAW.`,
		Example: `  msnsniff interfaces
  msnsniff interfaces --format json | jq -r '.[] | select(.up) | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "text", "json"); err != nil {
				return err
			}
			ifs, err := capture.LiveInterfaces()
			if err != nil {
				return newCaptureError(err)
			}
			recs := make([]interfaceRecord, len(ifs))
			for i, it := range ifs {
				recs[i] = interfaceRecord{
					Name: it.Name, Index: it.Index, Up: it.Up, Loopback: it.Loopback, MTU: it.MTU,
					Hardware: it.Hardware, LinkType: it.LinkType.String(), Addresses: []string{},
				}
				for _, a := range it.Addrs {
					recs[i].Addresses = append(recs[i].Addresses, a.String())
				}
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(recs)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATE\tLINK TYPE\tHARDWARE\tMTU\tADDRESSES")
			for _, r := range recs {
				state := "down"
				if r.Up {
					state = "up"
				}
				mtu := "-"
				if r.MTU > 0 {
					mtu = strconv.Itoa(r.MTU)
				}
				hw := r.Hardware
				if hw == "" {
					hw = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, state, r.LinkType, hw, mtu, strings.Join(r.Addresses, " "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table (or text) or json")
	return cmd
}
