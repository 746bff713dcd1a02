/* placeholder: the probe service lands with its test */
int
main(void)
{
    return 1;
}
